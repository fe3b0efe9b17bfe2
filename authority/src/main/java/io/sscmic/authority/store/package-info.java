/** The authority's state directory: its file layout, and erasing what it must not keep. */
package io.sscmic.authority.store;
