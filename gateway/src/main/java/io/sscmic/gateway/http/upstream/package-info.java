/** The peer side of HTTP mode: each service's peer sidecars as a live, balanced set with passive and active health. */
package io.sscmic.gateway.http.upstream;
