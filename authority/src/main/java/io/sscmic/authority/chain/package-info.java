/** The key chain's anchors on the authority: the chain file and scheduled re-seeds. */
package io.sscmic.authority.chain;
