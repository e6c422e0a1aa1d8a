// Package auth holds the sign-in page.
package auth
