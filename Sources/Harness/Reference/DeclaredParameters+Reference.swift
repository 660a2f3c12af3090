import PostProcessing

extension DeclaredParameters {
    /// What a reference target declares when its nodes run with `parameters` and frames of
    /// `frameBits`: the two reference targets build their declaration and their nodes'
    /// configuration from the same value through this.
    package init(reference parameters: PostProcessingParameters, frameBits: Int) {
        self.init()
        qberThreshold = parameters.qberThreshold
        epsilonSecrecy = parameters.epsilonSecrecy
        epsilonCorrectness = parameters.epsilonCorrectness
        self.frameBits = frameBits
        // The sample the nodes disclose, when it is not the tenth a declaration assumes.
        if parameters.sampleFraction != ReferenceDefaults.sampleFraction {
            declaredSampleBits = max(1, Int((Double(frameBits) * parameters.sampleFraction).rounded()))
        }
    }
}
