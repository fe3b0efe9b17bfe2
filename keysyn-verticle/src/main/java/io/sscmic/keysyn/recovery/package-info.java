/** The node's side of the authority: enrollment, key-state recovery (method 2, HPKE) and certificate renewal. */
package io.sscmic.keysyn.recovery;
