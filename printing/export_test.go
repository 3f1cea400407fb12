package printing

// SanitizeTitle is sanitizeTitle, for the tests.
var SanitizeTitle = sanitizeTitle
