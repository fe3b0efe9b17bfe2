/** Peer resolution: which peer sidecars serve a service, as a live set that callers watch. */
package io.sscmic.gateway.resolve;
