/** The authority (management server): its HTTPS API for enrollment, recovery and renewal, one-time tokens, and the layout of its state directory. */
package io.sscmic.authority;
