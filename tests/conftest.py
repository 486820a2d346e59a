import os

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
