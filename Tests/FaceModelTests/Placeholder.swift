// Placeholder so the target builds until its tests land.
