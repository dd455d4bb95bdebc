"""Domain knowledge of the 绩效自评表: vocabulary, notation, label repair, text normalisation."""
