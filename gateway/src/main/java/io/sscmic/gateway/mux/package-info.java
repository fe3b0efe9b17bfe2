/**
 * Tunnel v2's multiplexer: persistent peer connections carrying application connections as HTTP/2
 * CONNECT streams (Netty's HTTP/2 codec), stream authorization, and the per-peer connection pool.
 * Built over a pluggable secure layer ({@link io.sscmic.gateway.mux.SecureLayer}); see docs/MUX-v2.md.
 */
package io.sscmic.gateway.mux;
