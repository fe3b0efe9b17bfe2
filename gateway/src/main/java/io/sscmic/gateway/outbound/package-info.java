/** The outbound side of the data plane: local listeners, the socket-free client handshake and the connector that picks a peer sidecar through a resolver. */
package io.sscmic.gateway.outbound;
