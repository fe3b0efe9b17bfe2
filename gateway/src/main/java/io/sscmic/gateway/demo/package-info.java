/** The demo mesh on loopback: an authority, two sidecars and sample services in one process. */
package io.sscmic.gateway.demo;
