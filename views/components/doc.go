// Package components holds small view pieces with no domain knowledge:
// the live swap wrapper, relative times, the CSRF field.
package components
