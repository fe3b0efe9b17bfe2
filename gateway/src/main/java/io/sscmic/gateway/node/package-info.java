/** One running sidecar: its key schedule, data plane and admin port, started, reloaded and stopped together. */
package io.sscmic.gateway.node;
