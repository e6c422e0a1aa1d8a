package store

// PurgeBatch is how many idle visitors one PurgeExpired deletes at most.
const PurgeBatch = purgeBatch
