"""Compiles graphs into Keras models and Python source, and imports Keras models.

Keras is imported lazily (through `codegen.keras_env.import_keras`), so importing this
package stays cheap; nothing here imports Qt.
"""
