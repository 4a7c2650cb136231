//! The e-mail stand-in: an SMTP server and its catch-all inbox.
