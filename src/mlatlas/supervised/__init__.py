"""mlatlas.supervised"""
