/** The process around a role: one Vert.x with its metrics registry, and a graceful stop on signals. */
package io.sscmic.gateway.process;
