/**
 * What every classifier's predictor is: rows of `nFeatures` numbers in, classes and
 * probabilities out, both from one pass over the model (`classify`).
 */
import { ModelFormatError } from "./errors.js";

/** Each row's predicted class index, and its class probabilities row-major `nRows × nClasses`. */
export interface Classification {
  readonly prediction: Int32Array;
  readonly probabilities: Float64Array;
}

/** What every classifier's predictor does, on row-major rows of `nFeatures` numbers. */
export interface ClassifierPredictor {
  readonly nFeatures: number;
  readonly nClasses: number;
  /** Predicted class index of every row. */
  predict(x: Float64Array): Int32Array;
  /** Class probabilities, row-major `nRows × nClasses`. */
  predictProbabilities(x: Float64Array): Float64Array;
  /** Both from one pass over the model (what a server answers per request). */
  classify(x: Float64Array): Classification;
}

/** A predictor that answers `predict` and `predictProbabilities` through its `classify`. */
export abstract class RowClassifier implements ClassifierPredictor {
  abstract readonly nFeatures: number;
  abstract readonly nClasses: number;

  abstract classify(x: Float64Array): Classification;

  predict(x: Float64Array): Int32Array {
    return this.classify(x).prediction;
  }

  predictProbabilities(x: Float64Array): Float64Array {
    return this.classify(x).probabilities;
  }

  /** Rows in the row-major `x`; a ModelFormatError naming `x` unless whole rows. */
  protected rowCount(x: Float64Array): number {
    if (x.length % this.nFeatures !== 0) {
      throw new ModelFormatError(
        "x",
        `length must be a multiple of the ${this.nFeatures} features`,
        x.length,
      );
    }
    return x.length / this.nFeatures;
  }
}
