"""The Qt layer: controllers that own async work, item models, delegates, widgets and dialogs."""
