"""mlatlas.timeseries"""
