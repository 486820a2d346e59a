"""Compiles graphs into Keras models and Python source, and imports Keras models.

Keras is imported lazily (through `codegen.keras_env.import_keras`), so importing this
package stays cheap; nothing here imports Qt.
"""

from codegen import generic_spec

# Built-in Keras layers without a hand-written spec validate through Keras itself;
# keras is imported only when such a type is first looked up.
generic_spec.install()
