/**
 * The service registry as a node sees it: what a node registers at the authority (its services and
 * tunnel endpoint, under a lease), and the watch stream that tells sidecars who serves what.
 */
package io.sscmic.keysyn.registry;
