public enum FaceKitWeightsPlaceholder {}
