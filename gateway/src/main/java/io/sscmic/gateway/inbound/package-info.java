/** The inbound side of the data plane: the tunnel listener, the socket-free server handshake, abuse limits and the hello replay cache. */
package io.sscmic.gateway.inbound;
