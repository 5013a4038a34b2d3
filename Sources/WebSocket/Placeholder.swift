// Placeholder so the target builds until its module lands.
