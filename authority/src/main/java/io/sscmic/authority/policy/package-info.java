/** The mesh's authorization policy, kept by the authority and sent to the nodes on the registry watch. */
package io.sscmic.authority.policy;
