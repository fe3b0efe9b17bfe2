/** What both tunnel directions share: the listener base, the handshake plumbing, the relay, metrics, options and socket helpers. */
package io.sscmic.gateway.tunnel;
