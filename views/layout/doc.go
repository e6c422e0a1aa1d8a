// Package layout holds the frame every page is drawn in, and the error page.
package layout
