"""mlatlas.probability"""
