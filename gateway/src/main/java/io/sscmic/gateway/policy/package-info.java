/** The mesh policy and roster a node takes from the authority's registry watch (issue 17 item 3). */
package io.sscmic.gateway.policy;
