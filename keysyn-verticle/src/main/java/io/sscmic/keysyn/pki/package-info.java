/** What a node needs of the mesh's certificates without the CA: its key pair, CSR, PEM files. */
package io.sscmic.keysyn.pki;
