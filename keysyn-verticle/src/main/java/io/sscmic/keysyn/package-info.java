/** The key schedule (KeySyn): epoch clock, one-way ratchet, immutable key state, and the verticle that ticks on epoch boundaries. */
package io.sscmic.keysyn;
