/**
 * Tunnel v2 handshake (docs/PROTOCOL-v2.md): INIT, RESP, FINISH; socket-free initiator and
 * responder state machines, certificate checks against the mesh CA, the replay filter, transcript
 * hashing and the v2 key derivations. Used by the record layer (io.sscmic.gateway.record).
 */
package io.sscmic.gateway.handshake;
