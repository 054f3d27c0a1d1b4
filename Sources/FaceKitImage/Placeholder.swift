public enum ImagePlaceholder {}
