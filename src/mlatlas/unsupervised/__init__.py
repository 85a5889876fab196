"""mlatlas.unsupervised"""
