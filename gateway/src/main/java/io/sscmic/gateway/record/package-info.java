/**
 * Tunnel v2 record layer (docs/PROTOCOL-v2.md): KeySyn records {@code D | type | length | AEAD}
 * as a Netty handler where TLS would sit, running the v2 handshake first, then sealing outbound
 * ByteBufs and opening inbound records under per-epoch keys mixed with the connection secret.
 */
package io.sscmic.gateway.record;
