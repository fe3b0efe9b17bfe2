/** HTTP mode: the node's HTTP listener, which routes local clients' requests to services through the encrypted tunnel. */
package io.sscmic.gateway.http;
