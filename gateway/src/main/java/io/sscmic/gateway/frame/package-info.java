/** The v1 record protocol: frame layout, HELLO/ACCEPT/REFUSE, sealing and opening frames with per-connection traffic keys. */
package io.sscmic.gateway.frame;
