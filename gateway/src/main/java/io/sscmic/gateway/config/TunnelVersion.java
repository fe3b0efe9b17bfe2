package io.sscmic.gateway.config;

/**
 * The tunnel protocol a node dials with. The inbound listener accepts both on one port during
 * the migration, whatever this says (docs/PROTOCOL-v2.md, "Versions and rolling upgrades").
 */
public enum TunnelVersion {
  /** One tunnel connection per application connection, HELLO/ACCEPT (docs/PROTOCOL.md). */
  V1,
  /** Pooled, mutually authenticated peer connections carrying streams (docs/PROTOCOL-v2.md, docs/MUX-v2.md). */
  V2
}
