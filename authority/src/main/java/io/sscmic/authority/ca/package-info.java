/** The mesh's small certificate authority: issuing node and authority certificates, and revocations. */
package io.sscmic.authority.ca;
