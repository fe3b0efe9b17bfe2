/** The tunnel wire format: frame types, the decoder, handshake frames, sealing and opening of stream frames. */
package io.sscmic.gateway.frame;
