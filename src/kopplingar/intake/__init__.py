"""Mail intake: mailbox sources (IMAP, Maildir), MIME parsing and attachment extraction."""
