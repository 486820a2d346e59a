"""Compiles graphs into Keras models and Python source, and imports Keras models.

Keras is imported lazily (through `codegen.keras_env.import_keras`), so importing this
package stays cheap; nothing here imports Qt.
"""

from codegen import generic_operation, generic_spec
from codegen.build import build_model
from codegen.export import check_onnx_parity, export_onnx, save_keras
from codegen.importer import from_keras, import_keras_model
from codegen.pysource import to_python
from codegen.training_script import to_training_script

# Built-in Keras layers and keras.ops operations without a hand-written spec validate
# through Keras itself; keras is imported only when such a type is first looked up.
generic_spec.install()
generic_operation.install()

__all__ = [
    "build_model",
    "check_onnx_parity",
    "export_onnx",
    "from_keras",
    "import_keras_model",
    "save_keras",
    "to_python",
    "to_training_script",
]
