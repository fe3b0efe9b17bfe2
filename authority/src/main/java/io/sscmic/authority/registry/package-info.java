/** The service registry: which node serves which service at which tunnel endpoint, under leases, watched by sidecars. */
package io.sscmic.authority.registry;
