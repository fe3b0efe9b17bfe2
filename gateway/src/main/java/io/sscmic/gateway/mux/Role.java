package io.sscmic.gateway.mux;

/** Which end of a peer connection this node is: the one that dialled, or the one that accepted. */
public enum Role {
  CLIENT,
  SERVER
}
