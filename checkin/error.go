// Package checkin is Usher's domain: events, spaces, doors, people, scans
// and the admit decision. It does no I/O: the store, the screens and the
// command line build on it.
package checkin

import (
	"errors"
	"fmt"
)

// Error codes. They are stable: callers branch on them, never on messages.
const (
	EINVALID  = "invalid" // bad input: a scan, a CSV row, an event file, an API body
	ENOTFOUND = "not_found"
	ECONFLICT = "conflict"
	EINTERNAL = "internal"
	// EUNAUTHORIZED: a token or code was refused: a kiosk's token that is
	// missing, unknown or revoked, an enrollment code that is unknown,
	// used, cancelled or expired, an organizer's sign-in, or the API token
	// pretix refused.
	EUNAUTHORIZED = "unauthorized"
	// EOFFLINE: the other side (the center, or pretix) could not be
	// reached or failed on its side. Scanning goes on; trying later may
	// work.
	EOFFLINE = "offline"
)

// Error carries a code for the program and a message for a person.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, and
// a generic message for any other error, so internals never reach a screen.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
