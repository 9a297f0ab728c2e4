/** Placeholder until its issue lands; see ARCHITECTURE.md. */
package dev.kiln.data;
