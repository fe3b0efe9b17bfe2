/** One running sidecar: deploys the key schedule, data plane and admin port, reports status, reloads its config. */
package io.sscmic.gateway.node;
