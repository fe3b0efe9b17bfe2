/** JMH microbenchmarks of the AEAD ciphers and the frame path. */
package io.sscmic.bench;
