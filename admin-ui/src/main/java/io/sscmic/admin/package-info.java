/** The admin port: the HTTP server with /metrics, /healthz, /readyz, /status, its TLS, and the event-bus contract with the node. */
package io.sscmic.admin;
